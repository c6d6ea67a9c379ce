from tests.integration.reports.reports_support import (  # noqa: F401
    admin,
    app,
    caller,
    parent,
    student,
    teacher,
)
