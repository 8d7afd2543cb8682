package dev.paygate.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;

/**
 * The report's budgets, each judged met, not_met or not_measured (when the run did not measure
 * what the budget needs: never a guess), with the issue that set it.
 */
final class BudgetList {

    private final ArrayNode budgets = JsonNodeFactory.instance.arrayNode();

    ArrayNode json() {
        return budgets;
    }

    void atLeast(int issue, String name, String budget, Optional<Double> figure, double floor) {
        figure.ifPresentOrElse(value -> add(issue, name, budget, value, value >= floor),
                () -> notMeasured(issue, name, budget, "not in this run's plan"));
    }

    void atMost(int issue, String name, String budget, Optional<Double> figure, double ceiling) {
        figure.ifPresentOrElse(value -> add(issue, name, budget, value, value <= ceiling),
                () -> notMeasured(issue, name, budget, "not in this run's plan"));
    }

    void add(int issue, String name, String budget, double figure, boolean met) {
        ObjectNode entry = entry(issue, name, budget);
        entry.put("figure", Math.round(figure * 1000) / 1000.0);
        entry.put("status", met ? "met" : "not_met");
    }

    /** Not met, with no figure: what the budget needs never happened (a write never answered). */
    void notMet(int issue, String name, String budget, String why) {
        ObjectNode entry = entry(issue, name, budget);
        entry.putNull("figure");
        entry.put("status", "not_met");
        entry.put("why", why);
    }

    void notMeasured(int issue, String name, String budget, String why) {
        ObjectNode entry = entry(issue, name, budget);
        entry.putNull("figure");
        entry.put("status", "not_measured");
        entry.put("why", why);
    }

    private ObjectNode entry(int issue, String name, String budget) {
        ObjectNode entry = budgets.addObject();
        entry.put("name", name);
        entry.put("issue", issue);
        entry.put("budget", budget);
        return entry;
    }
}
