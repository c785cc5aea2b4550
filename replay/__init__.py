"""Record-and-replay tooling: replay recorded deliveries against a service and diff the answers.

`rossum-hooks replay` and `rossum-hooks pull-logs` live here, outside `service/`, so that the
web shell (`service/`) holds only what `rossum-hooks serve` loads. This package drives the
service in process (or over HTTP) and reads the recording format that `service.recording` writes.
"""
