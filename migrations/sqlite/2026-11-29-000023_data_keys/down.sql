DROP TABLE pending_data_steps;
DROP TABLE data_keys;
