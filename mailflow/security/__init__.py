"""Who may move a CR, proven: reply tokens, sender policies, Authentication-Results, evidence."""
