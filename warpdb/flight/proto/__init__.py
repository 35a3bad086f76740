"""Generated protobuf code for the Flight SQL messages (see FlightSql.proto)."""
