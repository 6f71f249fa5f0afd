"""The only code that changes state: one module per area, one keyword-only function per action.

Each action checks the actor's permission on the object, validates, performs the FSM transition,
and writes an audit event, all inside one transaction.
"""
