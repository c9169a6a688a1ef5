"""Security questionnaire answer bank: answers per CSA CCM v4 domain, exports, and auto-fill of buyer files."""
