"""Peak Trade's Airflow plugin: the Desk page in the UI's navigation (Airflow 3.1+ fastapi_apps + external_views).

A FastAPI app mounted at /peak-trade on the API server, embedded by the UI at /plugin/desk:
  /peak-trade/                     the page (include.desk_view renders it)
  /peak-trade/data.json            the same figures as JSON
  /peak-trade/files/reports/<p>    a PDF or workbook under the reports directory (download)
  /peak-trade/data-quality/<p>     the offline data-quality report (<reports dir>/data_quality/)
Plugin endpoints are not behind Airflow's auth on their own: every route needs the UI's JWT (the
_token cookie or an Authorization bearer), validated by the auth manager in use (simple or FAB),
and the user's permission to see the website. A page request without one goes to the login page;
anything else gets 401. Only the kill switch and the DAG runs are read here (Airflow's database);
every figure comes from include.desk_view.
"""
from __future__ import annotations

import mimetypes
from html import escape
from datetime import datetime, timezone
from pathlib import Path

from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from airflow.plugins_manager import AirflowPlugin

PREFIX = "/peak-trade"
REPORT_SUFFIXES = {".pdf", ".xlsx"}
ICON = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="currentColor" '
        'stroke-width="2"><polyline points="3 17 9 11 13 15 21 7"/><polyline points="15 7 21 7 21 13"/></svg>')
_bearer = HTTPBearer(auto_error=False)


async def desk_user(request: Request, bearer: HTTPAuthorizationCredentials | None = Depends(_bearer)):
    """The signed-in Airflow user allowed to see the website; 401 without a valid token, 403 without the right."""
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.models.resource_details import AccessView
    from airflow.api_fastapi.core_api.security import get_user

    user = await get_user(request, None, bearer)
    if not get_auth_manager().is_authorized_view(access_view=AccessView.WEBSITE, user=user):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Forbidden: this user may not see the Airflow UI")
    return user


def _login_redirect(request: Request) -> RedirectResponse:
    from airflow.api_fastapi.app import get_auth_manager

    return RedirectResponse(get_auth_manager().get_url_login(next_url=str(request.url)), status.HTTP_303_SEE_OTHER)


def _pages_redirect_to_login(request: Request, exc: HTTPException) -> Response:
    """Unauthenticated: the page and the data-quality report send a browser to the login page, the rest 401."""
    page = request.url.path.rstrip("/") in (PREFIX, "") or "/data-quality/" in request.url.path
    if exc.status_code == status.HTTP_401_UNAUTHORIZED and page and request.method == "GET":
        return _login_redirect(request)
    return JSONResponse({"detail": exc.detail}, exc.status_code, headers=getattr(exc, "headers", None))


def _config():
    from include.config.loader import load_config

    return load_config()


def airflow_facts(config, user) -> object:
    """The kill-switch Variable and the last run of every DAG, from Airflow's metadata database."""
    from sqlalchemy import select

    from airflow.models import DagModel, DagRun, Variable
    from airflow.utils.session import create_session
    from include.desk_view.page import AirflowFacts
    from include.execution.settings import execution_settings
    from operators.execution_tasks import ENGAGED

    name = execution_settings(config).kill_switch_variable
    runs = []
    with create_session() as session:
        try:
            variable = session.scalar(select(Variable).where(Variable.key == name))
            value = None if variable is None else str(variable.val)
            engaged = value is not None and value.strip().lower() in ENGAGED
        except Exception:  # noqa: BLE001 - a Variable that cannot be read counts as engaged, as in the tasks
            value, engaged = "(unreadable)", True
        for dag in session.scalars(select(DagModel).where(DagModel.is_stale.is_(False)).order_by(DagModel.dag_id)):
            last = session.scalar(select(DagRun).where(DagRun.dag_id == dag.dag_id).order_by(DagRun.id.desc()).limit(1))
            runs.append({"dag_id": dag.dag_id, "paused": bool(dag.is_paused),
                         "run_id": None if last is None else last.run_id,
                         "state": None if last is None else str(last.state),
                         "run_after": None if last is None else last.run_after,
                         "start_date": None if last is None else last.start_date,
                         "end_date": None if last is None else last.end_date})
    return AirflowFacts(name, value, engaged, runs, user=getattr(user, "get_name", lambda: None)())


def _figures_and_facts(user):
    from include.desk_view.figures import gather_configured

    config = _config()
    return gather_configured(config, datetime.now(timezone.utc)), airflow_facts(config, user)


def _file_under(base: Path, relative: str) -> Path:
    """`relative` inside `base`, an existing file; 404 for anything else (no way out of the folder)."""
    root = base.resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no file {relative!r} under {base.name}/")
    return path


def create_app() -> FastAPI:
    app = FastAPI(title="Peak Trade desk", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_exception_handler(HTTPException, _pages_redirect_to_login)

    @app.get("/", response_class=HTMLResponse)
    def page(user=Depends(desk_user)) -> HTMLResponse:
        from include.desk_view.page import render
        from include.errors import PeakTradeError

        try:
            return HTMLResponse(render(*_figures_and_facts(user)), headers={"Cache-Control": "no-store"})
        except PeakTradeError as exc:  # a bad config: its one message, not a traceback
            return HTMLResponse(f"<!doctype html><title>Peak Trade desk</title><h1>Peak Trade desk</h1>"
                                f"<p>The desk cannot be shown: {escape(str(exc))}</p>", status.HTTP_500_INTERNAL_SERVER_ERROR)

    @app.get("/data.json")
    def data(user=Depends(desk_user)) -> JSONResponse:
        from include.desk_view.payload import payload

        return JSONResponse(payload(*_figures_and_facts(user)), headers={"Cache-Control": "no-store"})

    @app.get("/files/reports/{relative:path}")
    def report_file(relative: str, user=Depends(desk_user)) -> FileResponse:
        from include.config.loader import reports_dir

        path = _file_under(reports_dir(_config()), relative)
        if path.suffix not in REPORT_SUFFIXES:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"{relative!r} is not a report; valid: .pdf, .xlsx files")
        return FileResponse(path, filename=path.name, media_type=mimetypes.guess_type(path.name)[0])

    @app.get("/data-quality/{relative:path}")
    def data_quality(relative: str, user=Depends(desk_user)) -> FileResponse:
        from include.config.loader import reports_dir
        from include.desk_view.figures import DATA_QUALITY_REPORT

        path = _file_under(reports_dir(_config()) / DATA_QUALITY_REPORT.parent, relative or "index.html")
        return FileResponse(path, media_type=mimetypes.guess_type(path.name)[0])

    @app.get("/icon.svg")
    def icon() -> Response:  # the nav icon: public, it shows nothing of the desk
        return Response(ICON, media_type="image/svg+xml")

    return app


class PeakTradeDeskPlugin(AirflowPlugin):
    name = "peak_trade_desk"
    fastapi_apps = [{"app": create_app(), "url_prefix": PREFIX, "name": "Peak Trade desk"}]
    external_views = [{"name": "Desk", "href": PREFIX.lstrip("/") + "/", "url_route": "desk", "destination": "nav",
                       "icon": PREFIX.lstrip("/") + "/icon.svg"}]
