package dev.paygate.persistence;

import java.math.BigDecimal;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.OffsetDateTime;

/**
 * Binds a statement's parameters in order, from wherever its text starts within a multi-statement
 * text: the driver numbers the parameters of all its statements as one list.
 */
public final class Params {

    private final PreparedStatement statement;
    private int next = 1;

    Params(PreparedStatement statement) {
        this.statement = statement;
    }

    public Params string(String value) throws SQLException {
        statement.setString(next++, value);
        return this;
    }

    public Params decimal(BigDecimal value) throws SQLException {
        statement.setBigDecimal(next++, value);
        return this;
    }

    public Params time(OffsetDateTime value) throws SQLException {
        DbTime.bind(statement, next++, value);
        return this;
    }
}
