"""Execution: the one and only way an order leaves the system (docs/execution.md).

orders (intents and client ids) -> targets (target - holdings - open orders) ->
risk_rules (pre-trade checks) -> submit (write-ahead to the ledger, then the broker)
-> ledger (orders, events, fills, cash; positions and PnL) <- reconcile (ledger vs broker).
"""
