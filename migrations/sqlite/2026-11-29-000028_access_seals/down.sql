DROP TABLE access_seals;
