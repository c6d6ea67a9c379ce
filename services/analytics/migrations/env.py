from services.analytics.models import metadata
from shared.migrations import run_env

run_env(metadata)
