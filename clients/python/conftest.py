# Makes paygate_client importable when pytest runs from this folder.
