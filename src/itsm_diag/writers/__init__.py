"""Writers from the canonical tables to each tool's export format (one module per tool).

Used to make the samples, the equivalence tests (the same tickets in every format import
to the same table) and the scale benchmarks.
"""
