from tests.workers.conftest import world  # noqa: F401 - the same small campaign world
