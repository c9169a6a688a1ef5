"""Readers and writers of the buyer's file formats: XLSX/XLSM workbooks, CSV files and Word documents."""
