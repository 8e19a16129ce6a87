"""The commands as library workflows: one module per command, each a function of plain values.

A command takes its options, a live source (the API client or a snapshot) and callbacks for
the interactive parts, and returns an outcome value. It never prints: `orsync.cli` renders
the outcome and maps errors to exit codes, and tests call the commands in-process.
"""
