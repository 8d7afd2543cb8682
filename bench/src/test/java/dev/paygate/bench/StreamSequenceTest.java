package dev.paygate.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StreamSequenceTest {

    @Test
    void oneTwoThree_isInOrder() {
        StreamSequence stream = new StreamSequence();

        assertThat(stream.next(1)).isEmpty();
        assertThat(stream.next(2)).isEmpty();
        assertThat(stream.next(3)).isEmpty();
    }

    @Test
    void aSkippedSequence_isNamed() {
        StreamSequence stream = new StreamSequence();
        stream.next(1);

        assertThat(stream.next(3)).hasValue("sequence 3 after 1: 1 event(s) skipped");
    }

    @Test
    void aRepeatedEvent_isNamed_andTheStreamGoesOnFromTheHighest() {
        StreamSequence stream = new StreamSequence();
        stream.next(1);
        stream.next(2);

        assertThat(stream.next(2)).hasValue("sequence 2 after 2: repeated or out of order");
        assertThat(stream.next(3)).isEmpty();
    }

    @Test
    void aStreamThatStartsPastOne_hasLostTheFirst() {
        assertThat(new StreamSequence().next(2)).isPresent();
    }
}
