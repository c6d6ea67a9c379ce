"""Pure rules of analytics: facts, periods and the metrics of a LearningAnalytics document.

No I/O: every function takes plain values (the facts of ``projections.py``) and returns plain
values, so each metric is tested on hand-worked examples.
"""
