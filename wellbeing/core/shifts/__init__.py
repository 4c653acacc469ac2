"""Shift records of officers: ``records`` (the frame, its validation, the shift-records file), ``grids``
(shift codes and person × day grids), ``weekly`` (weekly templates), ``generate`` (planned shifts of a
catalogue pattern). Each importer returns the frame of :mod:`wellbeing.core.shifts.records`.
"""
