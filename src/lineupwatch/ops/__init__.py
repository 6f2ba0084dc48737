"""Operations: the org poll, the scheduled job (poll, stream, report, alerts, each isolated), the
run lock, the APScheduler daemon, `status`, `init` and the demo.

May import: every stage below it; nothing but the CLI imports it.
"""
