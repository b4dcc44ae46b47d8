"""A venue account's API credentials from its Airflow Connection: the one place they are read.

Connection `execution.venues.<name>.connection_id`: login = API key, password = secret, extra
{"passphrase": ...} for venues that need one. Each secret is registered with Airflow's secrets
masker before anything else happens (Airflow masks a connection's password and extra itself; the
API key, the login, is masked here too), so a task log shows *** instead. They are handed to
include/ as a Credentials object and never returned from a task (XCom), logged or written.
"""
from __future__ import annotations

from airflow.sdk import Connection
from airflow.sdk.exceptions import AirflowNotFoundException
from airflow.sdk.log import mask_secret

from include.errors import ConfigError
from include.execution.desk_account import PAPER_ACCOUNT, DeskAccount, venue_account


def venue_credentials(name: str, account) -> object:
    """The Credentials of venue account `name` (a ConfigError naming the connection when it is unusable)."""
    from include.execution.credentials import Credentials

    try:
        conn = Connection.get(account.connection_id)
    except AirflowNotFoundException:
        raise ConfigError(f"execution.venues.{name}.connection_id: no Airflow Connection {account.connection_id!r}; "
                          "create it (login = API key, password = secret, extra {\"passphrase\": ...} if the venue "
                          "needs one) in Admin > Connections or as env AIRFLOW_CONN_"
                          f"{account.connection_id.upper()}") from None
    passphrase = conn.extra_dejson.get("passphrase") or None
    for secret in (conn.login, conn.password, passphrase):
        if secret:
            mask_secret(secret)
    missing = [what for what, value in (("login (the API key)", conn.login), ("password (the secret)", conn.password))
               if not value]
    if missing:
        raise ConfigError(f"execution.venues.{name}.connection_id: the Connection {account.connection_id!r} has no "
                          f"{' and no '.join(missing)}")
    return Credentials(conn.login, conn.password, passphrase)


def desk_account(config, broker_name: str) -> DeskAccount:
    """The account a run trades: paper, or a venue account with its credentials."""
    from include.execution.settings import execution_settings

    account = venue_account(execution_settings(config), broker_name)
    if account is None:
        return PAPER_ACCOUNT
    return DeskAccount(broker_name, venue_credentials(broker_name, account))
