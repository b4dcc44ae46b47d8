"""What a person is asked before orders leave a venue account: the approval request's subject and body.

The body is Markdown (Airflow's Required Actions page renders it): one row per order that
passed the risk rules (symbol, side, amount, estimated notional at the arrival price,
weight before -> after), the totals, and the orders the risk rules rejected.
"""
from __future__ import annotations

from include.execution.live_gate import is_live


def approval_request(name: str, account, rows: list[dict], rejected: list[dict]) -> dict:
    """{"subject", "body", "approvers", "timeout_minutes"}; rows: include.execution.desk.preview rows."""
    kind = "LIVE (real money)" if is_live(account) else "sandbox"
    subject = f"Approve {len(rows)} order{'s' if len(rows) != 1 else ''} on {name}"
    lines = [f"**{name}** ({account.exchange}, {kind}). Approve sends these orders; Reject sends nothing; "
             f"no answer within {account.approval_timeout_minutes:g} minutes sends nothing.", "",
             "| symbol | side | amount | est. notional | weight before -> after |", "|---|---|---:|---:|---|"]
    for r in rows:
        lines.append(f"| {r['symbol']} | {r['side']} | {r['amount']} | {r['notional']:,.2f} | "
                     f"{r['weight_before']:.4f} -> {r['weight_after']:.4f} |")
    buys = sum(r["notional"] for r in rows if r["side"] == "buy")
    sells = sum(r["notional"] for r in rows if r["side"] == "sell")
    lines += ["", f"Totals: {len(rows)} orders, buys {buys:,.2f}, sells {sells:,.2f}, "
                  f"gross {buys + sells:,.2f} (quote currency, at the arrival prices)."]
    if rejected:
        lines += ["", "Rejected by the risk rules (not sent either way):"]
        lines += [f"- {r['symbol']} ({r['client_order_id']}): {r['rule']}: {r['reason']}" for r in rejected]
    return {"subject": subject, "body": "\n".join(lines), "approvers": list(account.approvers),
            "timeout_minutes": float(account.approval_timeout_minutes)}
