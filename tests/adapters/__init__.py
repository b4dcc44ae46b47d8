"""Tests of the Airflow adapters in operators/ (the SMTP hook transport, the notifiers). Not named
tests/operators: pytest imports a test package by its folder name, which would shadow `operators`."""
