"""`./dev rehearse`: a paying tenant rehearsed end to end against the real parts, and the readiness report.

Scenarios live in data/rehearsals.yaml (`scenarios`). Each scenario runs as a list of steps (`steps.STEPS`), each a
function of a `ScenarioRun` that records checks against the exit-gate items; tests run single steps and break one
part on purpose. `runner.rehearse` starts the services (metering API, store, webhook receiver) in a scratch folder
on 127.0.0.1, runs the scenarios and stops everything; `report` writes the readiness report (HTML page in the
handbook, PDF).
"""
