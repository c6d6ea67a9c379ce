-- One database and two login roles per Stride service, and each may connect to no other
-- database: no service can read another's data, even by mistake.
--
-- * stride_<service> owns the database. Only the <service>-migrate job logs in as it
--   and activity's worker and beat (below).
-- * stride_<service>_app is what the service's API, events and Celery containers log in
--   as (activity: its API and events). It owns nothing: `stride migrate` (STRIDE_<SERVICE>_RUNTIME_ROLE) grants it read
--   and write on the service's tables, but only SELECT and INSERT on audit_log, so it can
--   neither change nor erase the audit log nor drop the triggers that guard it.
--
-- activity's archive and retention detach and drop the monthly partitions of
-- activity_logs, which only the owner of the table may do: its worker and beat log in as
-- stride_activity. Its runtime role adds a month's partition only through the owner's
-- SECURITY DEFINER function stride_activity_ensure_partition, which `stride migrate`
-- grants it.
--
-- The official postgres image runs this once, as the superuser, when its data volume is
-- empty (docker-compose.yml mounts it into /docker-entrypoint-initdb.d). The passwords
-- come from the container's environment through psql's \getenv (psql 15 or newer); an
-- unset one leaves :'...' unexpanded, a syntax error, and ON_ERROR_STOP fails the init.
-- Changing a password in .env later does not reach an existing volume: use ALTER ROLE.

\getenv progress_password STRIDE_PROGRESS_DB_PASSWORD
\getenv progress_app_password STRIDE_PROGRESS_APP_DB_PASSWORD
\getenv attempts_password STRIDE_ATTEMPTS_DB_PASSWORD
\getenv attempts_app_password STRIDE_ATTEMPTS_APP_DB_PASSWORD
\getenv activity_password STRIDE_ACTIVITY_DB_PASSWORD
\getenv activity_app_password STRIDE_ACTIVITY_APP_DB_PASSWORD
\getenv analytics_password STRIDE_ANALYTICS_DB_PASSWORD
\getenv analytics_app_password STRIDE_ANALYTICS_APP_DB_PASSWORD
\getenv reports_password STRIDE_REPORTS_DB_PASSWORD
\getenv reports_app_password STRIDE_REPORTS_APP_DB_PASSWORD

-- Nobody but the superuser connects to the maintenance databases.
REVOKE CONNECT, TEMPORARY ON DATABASE postgres, template1 FROM PUBLIC;

CREATE ROLE stride_progress LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'progress_password';
CREATE DATABASE stride_progress OWNER stride_progress;
REVOKE ALL ON DATABASE stride_progress FROM PUBLIC;
CREATE ROLE stride_progress_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'progress_app_password';
GRANT CONNECT ON DATABASE stride_progress TO stride_progress_app;

CREATE ROLE stride_attempts LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'attempts_password';
CREATE DATABASE stride_attempts OWNER stride_attempts;
REVOKE ALL ON DATABASE stride_attempts FROM PUBLIC;
CREATE ROLE stride_attempts_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'attempts_app_password';
GRANT CONNECT ON DATABASE stride_attempts TO stride_attempts_app;

CREATE ROLE stride_activity LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'activity_password';
CREATE DATABASE stride_activity OWNER stride_activity;
REVOKE ALL ON DATABASE stride_activity FROM PUBLIC;
CREATE ROLE stride_activity_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'activity_app_password';
GRANT CONNECT ON DATABASE stride_activity TO stride_activity_app;

CREATE ROLE stride_analytics LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'analytics_password';
CREATE DATABASE stride_analytics OWNER stride_analytics;
REVOKE ALL ON DATABASE stride_analytics FROM PUBLIC;
CREATE ROLE stride_analytics_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'analytics_app_password';
GRANT CONNECT ON DATABASE stride_analytics TO stride_analytics_app;

CREATE ROLE stride_reports LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'reports_password';
CREATE DATABASE stride_reports OWNER stride_reports;
REVOKE ALL ON DATABASE stride_reports FROM PUBLIC;
CREATE ROLE stride_reports_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'reports_app_password';
GRANT CONNECT ON DATABASE stride_reports TO stride_reports_app;
