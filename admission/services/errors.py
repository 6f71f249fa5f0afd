class ConflictError(Exception):
    """Someone else changed the case first (a lost race or a stale page); the message says what happened."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
