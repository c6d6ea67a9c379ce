"""Every query, lock and row <-> domain mapping of the progress service.

* ``enrollments``: loading and locking enrollments (advisory locks per (student, course));
* ``enrollment_progress``: the enrollment's write model, loaded and saved for requests and batches;
* ``entries``: stored JSON <-> the domain's values;
* ``outlines``: course outlines, parsed once per version;
* ``documents``, ``notes``: the enrollment's whole document, its notes and bookmarks;
* ``attempt_facts``, ``activities``: facts from other services, kept per (student, course);
"""
