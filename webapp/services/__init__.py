"""The domain layer. Services flush but never commit; they raise DomainError subclasses."""
