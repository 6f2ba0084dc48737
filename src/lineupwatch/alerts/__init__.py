"""Alerts: rules over the analysis, exactly-once bookkeeping per channel, and delivery by mail
(smtplib) and webhooks (Apprise).

May import: config, normalize, store, stream, analysis.
"""
