"""DynamoDB for the template's tables: the embedded endpoint (moto's server) and the tables
made on an endpoint as declared."""
