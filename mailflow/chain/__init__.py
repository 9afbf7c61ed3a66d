"""The handling of one inbound message as a table of named rules walked by one loop.

`table.RULES` lists the rules in the order they are asked; `walk.walk` asks each in
turn until one rules on the message, then records that outcome in the ledger (the one
place that writes it) and carries out what the rule decided. The rules passed and the
rule that hit are kept on the ledger entry, so a refusal can be traced to its rule.
"""
