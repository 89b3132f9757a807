package dev.graceful.shutdown.messaging;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIOException;

/**
 * Tests for {@link CountingListener}.
 */
class CountingListenerTests {

	private final AtomicLong inFlight = new AtomicLong();

	@Test
	void messagesAreCountedWhileTheListenerRunsAndOtherCallsPassThrough() {
		Listener listener = new Listener(this.inFlight);
		Object proxy = CountingListener.wrap(listener, this.inFlight,
				(method, args) -> method.getName().equals("accept") ? 3 : 0);

		@SuppressWarnings("unchecked")
		Consumer<String> consumer = (Consumer<String>) proxy;
		consumer.accept("message");

		assertThat(listener.inFlightDuringCall).isEqualTo(3);
		assertThat(this.inFlight).hasValue(0);
		assertThat(((Supplier<?>) proxy).get()).isEqualTo("not a message");
		assertThat(listener.inFlightDuringGet).isZero();
	}

	@Test
	void proxyIsEqualToItselfOnlyAndTheListenersExceptionIsThrownAsIs() {
		Object proxy = CountingListener.wrap(new Failing(), this.inFlight, (method, args) -> 1);

		assertThat(proxy).isEqualTo(proxy).isNotEqualTo(new Failing());
		assertThat(proxy.hashCode()).isEqualTo(System.identityHashCode(proxy));
		assertThatIOException().isThrownBy(() -> ((Channel) proxy).send()).withMessage("broker gone");
		assertThat(this.inFlight).hasValue(0);
	}

	static class Listener implements Consumer<String>, Supplier<String> {

		private final AtomicLong inFlight;

		long inFlightDuringCall = -1;

		long inFlightDuringGet = -1;

		Listener(AtomicLong inFlight) {
			this.inFlight = inFlight;
		}

		@Override
		public void accept(String message) {
			this.inFlightDuringCall = this.inFlight.get();
		}

		@Override
		public String get() {
			this.inFlightDuringGet = this.inFlight.get();
			return "not a message";
		}

	}

	interface Channel {

		void send() throws IOException;

	}

	static class Failing implements Channel {

		@Override
		public void send() throws IOException {
			throw new IOException("broker gone");
		}

	}

}
