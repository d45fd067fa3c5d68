DROP TABLE assistant_requests;
