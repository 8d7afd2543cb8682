package dev.paygate.persistence;

import java.time.Duration;
import java.util.function.Supplier;

/** Where the budget of the work a thread does comes from. */
public interface CallBudgets {

    /** The budget of the call (or job) the current thread works for. */
    CallBudget current();

    /** Runs work under a budget of its own: a job has no calling RPC to inherit a deadline from. */
    <T> T within(Duration budget, Supplier<T> work);
}
