"""D10 五制 and 创先争优: goals, commitments, evaluations with ballot codes, commendations, accountability, the secretary's report."""
