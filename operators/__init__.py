"""Thin Airflow tasks over the domain library in include/."""
