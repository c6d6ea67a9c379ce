from tests.integration.progress.progress_api_support import (  # noqa: F401
    admin,
    app,
    caller,
    service,
    student,
    teacher,
)
