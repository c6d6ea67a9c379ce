"""The progress service's use cases: one function per command or query.

* ``enrollments``: outlines and enrollments (the API);
* ``notes``: a student's notes and bookmarks (the API);
* ``quiz_attempts``, ``activity``, ``certificates``: facts other services report (events);
* ``derivation``: the derived fields and the events their changes cause, shared by all.
"""
