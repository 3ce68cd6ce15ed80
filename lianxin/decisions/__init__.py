"""D8 democratic decisions: the 4+2 chain, quorum and majority rules, the double ballot, the monthly deliberation day, departure audits, the residents' charter."""
