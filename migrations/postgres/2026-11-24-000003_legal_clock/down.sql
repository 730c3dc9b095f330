DROP TABLE deadlines;
DROP TABLE notices;
