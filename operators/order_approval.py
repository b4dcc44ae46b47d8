"""approve_orders: Airflow's ApprovalOperator, asking the approvers of the account the run trades.

The account is chosen in the run's form, so who may answer, the timeout and the text are only
known at run time: they come from the `approval_request` XCom of the `needs_approval` branch
(include.execution.approval_request) and are set just before the operator writes its request.
On Airflow 3.3 the task then waits in the awaiting_input state; the API server's response
handler (an assigned user's answer) or the scheduler's timeout sweep resumes it. There is no
default answer, so a timeout never approves: the task fails and nothing is submitted.
Reject skips submit_orders (the ApprovalOperator's behaviour) and the summary says who rejected
(from the XCom `answer`, written on either answer).
"""
from __future__ import annotations

from datetime import timedelta

from airflow.providers.standard.operators.hitl import ApprovalOperator
from airflow.sdk.exceptions import AirflowFailException

REQUEST_KEY = "approval_request"
ANSWER_KEY = "answer"
BRANCH = "needs_approval"


class OrderApproval(ApprovalOperator):
    def __init__(self, *, task_id: str = "approve_orders", **kwargs) -> None:
        # The wait is bounded by the response timeout (set from the account below; the execution_timeout
        # of default_args bounds only the run up to the wait). A timeout fails with AirflowFailException,
        # which is never retried (a retry would ask again).
        super().__init__(task_id=task_id, subject="Approve the orders", defaults=None,
                         response_timeout=timedelta(minutes=60), **kwargs)

    def execute(self, context):
        request = context["ti"].xcom_pull(task_ids=BRANCH, key=REQUEST_KEY)
        if not request:
            raise AirflowFailException(f"no approval request from {BRANCH}: nothing to approve, nothing submitted")
        self.subject, self.body = request["subject"], request["body"]
        self.assigned_users = [{"id": user, "name": user} for user in request["approvers"]]
        self.response_timeout = timedelta(minutes=request["timeout_minutes"])
        self.log.info("%s: waiting up to %g minutes for one of %s", self.subject, request["timeout_minutes"],
                      ", ".join(request["approvers"]))
        return super().execute(context)

    def execute_complete(self, context, event: dict):
        """The answer also goes to the XCom `answer` (options, who), first: a Reject skips downstream by raising
        (so the operator's return value is never pushed), and the summary must say who rejected. submit_orders
        checks this answer again before anything leaves."""
        if "error" not in event:
            context["ti"].xcom_push(key=ANSWER_KEY, value={"chosen_options": list(event["chosen_options"]),
                                                           "responded_by_user": event.get("responded_by_user")})
        return super().execute_complete(context, event)

    def process_trigger_event_error(self, event: dict) -> None:
        if event.get("error_type") == "timeout":
            raise AirflowFailException("no answer before the approval timeout: a timeout never approves, "
                                       "nothing submitted")
        super().process_trigger_event_error(event)
