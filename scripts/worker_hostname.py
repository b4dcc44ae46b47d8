"""Airflow's `[core] hostname_callable` for native scale-out workers.

In docker-compose every worker is its own container with its own hostname; natively the two
Celery workers share this machine's, so the launcher gives each one PEAKTRADE_HOSTNAME and the
task instances it runs record that name (REST `hostname`) as they would in a container.
"""
import os
import socket


def hostname() -> str:
    return os.environ.get("PEAKTRADE_HOSTNAME") or socket.getfqdn()
