-- Run once by the postgres image on its first start (deploy/compose.yaml): the database
-- of Rasa's conversations and Slack inbox, beside "partners" (POSTGRES_DB).
CREATE DATABASE rasa;
