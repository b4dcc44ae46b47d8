"""The desk's roles under the FAB auth manager (the scale-out setup): who may trade.

FAB lets a user trigger a DAG when the user holds `can_create` on "DAG Runs" (globally or on
"DAG Run:<id>") and `can_edit` on "DAGs" (globally or on "DAG:<id>"); answering an approval or
clearing a task likewise needs `can_edit` on the DAG. The built-in User and Op roles hold the
global `can_edit`, so by default they can run `rebalance`. `sync_desk_roles` takes that global edit
right away from them and grants it back DAG by DAG for the research DAGs only; the trade DAGs
get their per-DAG rights from `access_control` (`trade_access`), which names the config's
`access.trade_roles`.

FAB's start-up sync (`[fab] update_fab_perms`, on by default) re-adds every built-in role's default
rights on each api-server start or `airflow users ...` call, undoing this: the scale-out setup runs
with AIRFLOW__FAB__UPDATE_FAB_PERMS=False, and this command does that sync itself first.

    python -m operators.desk_roles        # after `airflow db migrate`, before `airflow users create`
"""
from __future__ import annotations

import sys

from include.config.schema import PeakTradeConfig
from include.errors import PeakTradeError

# The DAGs that place orders. Only the config's trade roles (and Admin) may trigger, clear or approve them.
TRADE_DAGS = ("rebalance", "flatten_all", "risk_monitor")
# Built-in roles that by default edit (hence trigger) every DAG.
RESTRICTED_BUILT_INS = ("User", "Op")
_DAG_RIGHTS = {"DAGs": {"can_read", "can_edit", "can_delete"},
               "DAG Runs": {"can_read", "can_create", "can_delete"}}


def trade_access(config: PeakTradeConfig) -> dict[str, dict[str, set[str]]]:
    """A trade DAG's `access_control`: full rights for each trade role (FAB ignores it under other auth managers)."""
    return {role: {resource: set(actions) for resource, actions in _DAG_RIGHTS.items()}
            for role in config.access.trade_roles}


def sync_desk_roles(config: PeakTradeConfig, dag_ids: list[str]) -> dict[str, list[str]]:
    """Built-in roles synced, User and Op confined to the research DAGs among `dag_ids`, the trade roles
    created (User's rights plus the trade DAGs). Returns role -> the DAGs it may trigger."""
    from airflow.providers.fab.auth_manager.cli_commands.utils import get_application_builder

    _check_airflow_settings()
    research = sorted(set(dag_ids) - set(TRADE_DAGS))
    with get_application_builder() as appbuilder:
        appbuilder.add_permissions(update_perms=True)
        sm = appbuilder.sm
        sm.sync_roles()  # the built-in roles with FAB's defaults, global DAG edit included: taken away below
        for name in RESTRICTED_BUILT_INS:
            role = sm.find_role(name)
            for action in ("can_edit", "can_delete"):
                perm = sm.get_permission(action, "DAGs")
                if perm in role.permissions:
                    sm.remove_permission_from_role(role, perm)
            _grant_dags(sm, role, research)
        user = sm.find_role("User")
        for name in config.access.trade_roles:
            role = sm.find_role(name) or sm.add_role(name)
            for perm in user.permissions:  # a trader researches too
                if perm not in role.permissions:
                    sm.add_permission_to_role(role, perm)
        for dag_id in TRADE_DAGS:  # what the DAG processor syncs from access_control, done now
            sm.sync_perm_for_dag(dag_id, trade_access(config))
    may_trigger = {name: research for name in RESTRICTED_BUILT_INS}
    may_trigger.update({name: sorted(dag_ids) for name in config.access.trade_roles})
    return may_trigger


def _check_airflow_settings() -> None:
    from airflow.configuration import conf

    manager = conf.get("core", "auth_manager")
    if not manager.endswith("FabAuthManager"):
        raise PeakTradeError(f"[core] auth_manager is {manager!r}: the desk roles are FAB roles. Set "
                             "AIRFLOW__CORE__AUTH_MANAGER=airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager")
    if conf.getboolean("fab", "update_fab_perms"):
        raise PeakTradeError("[fab] update_fab_perms is on: every api-server start would give the User and Op "
                             "roles back the right to trigger rebalance. Set AIRFLOW__FAB__UPDATE_FAB_PERMS=False "
                             "for every Airflow component and run this again")


def _grant_dags(sm, role, dag_ids: list[str]) -> None:
    from airflow.providers.fab.www.security import permissions

    for dag_id in dag_ids:
        name = permissions.resource_name(dag_id, "DAGs")  # "DAG:<id>"
        for action in _DAG_RIGHTS["DAGs"]:
            perm = sm.get_permission(action, name) or sm.create_permission(action, name)
            if perm not in role.permissions:
                sm.add_permission_to_role(role, perm)


def project_dag_ids() -> list[str]:
    """The DAG ids the dags folder defines (parsed as the DAG processor would)."""
    from airflow.configuration import conf
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=conf.get("core", "dags_folder"))
    if bag.import_errors:
        raise PeakTradeError("the DAGs must import before their roles are set: "
                             + "; ".join(f"{path}: {error.strip().splitlines()[-1]}"
                                         for path, error in bag.import_errors.items()))
    return sorted(bag.dag_ids)


def main() -> int:
    from include.checked_config import load_checked_config

    try:
        _check_airflow_settings()  # before the DAGs are parsed: a wrong setting is told at once
        result = sync_desk_roles(load_checked_config(), project_dag_ids())
    except PeakTradeError as exc:
        print(f"desk roles: {exc}", file=sys.stderr)
        return 1
    for role, dags in result.items():
        print(f"{role}: may trigger {', '.join(dags) or 'nothing'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
