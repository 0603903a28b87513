DROP TABLE audit_log;
DROP TABLE record_tags;
DROP TABLE tags;
DROP TABLE contacts;
DROP TABLE companies;
DROP TABLE api_keys;
DROP TABLE members;
DROP TABLE workspaces;
