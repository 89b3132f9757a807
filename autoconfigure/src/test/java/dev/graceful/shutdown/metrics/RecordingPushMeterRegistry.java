package dev.graceful.shutdown.metrics;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;
import java.util.stream.Collectors;

import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Measurement;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.cumulative.CumulativeCounter;
import io.micrometer.core.instrument.cumulative.CumulativeDistributionSummary;
import io.micrometer.core.instrument.cumulative.CumulativeFunctionCounter;
import io.micrometer.core.instrument.cumulative.CumulativeFunctionTimer;
import io.micrometer.core.instrument.cumulative.CumulativeTimer;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.core.instrument.distribution.pause.PauseDetector;
import io.micrometer.core.instrument.internal.DefaultGauge;
import io.micrometer.core.instrument.internal.DefaultMeter;
import io.micrometer.core.instrument.push.PushMeterRegistry;
import io.micrometer.core.instrument.push.PushRegistryConfig;

/**
 * A push registry, like those of Prometheus push gateway, OTLP, Datadog or StatsD, whose
 * {@link #publish()} records what it would send instead of sending it. Its step is a day
 * and it is never started, so the only publish is the one on {@link #close()}.
 */
final class RecordingPushMeterRegistry extends PushMeterRegistry {

	private static final PushRegistryConfig CONFIG = new PushRegistryConfig() {

		@Override
		public String prefix() {
			return "recording";
		}

		@Override
		public String get(String key) {
			return null;
		}

		@Override
		public Duration step() {
			return Duration.ofDays(1);
		}

	};

	private final List<Map<String, Double>> publications = new CopyOnWriteArrayList<>();

	RecordingPushMeterRegistry() {
		super(CONFIG, Clock.SYSTEM);
	}

	/**
	 * Return what each publish sent: for each meter ({@code name{tag=value,...}}) its
	 * count (timers, counters) or value (gauges).
	 * @return the publications, oldest first
	 */
	List<Map<String, Double>> publications() {
		return this.publications;
	}

	@Override
	protected void publish() {
		Map<String, Double> published = new TreeMap<>();
		for (Meter meter : getMeters()) {
			Double value = null;
			if (meter instanceof Timer timer) {
				value = (double) timer.count();
			}
			else if (meter instanceof Counter counter) {
				value = counter.count();
			}
			else if (meter instanceof Gauge gauge) {
				value = gauge.value();
			}
			if (value != null) {
				published.put(key(meter.getId()), value);
			}
		}
		this.publications.add(published);
	}

	static String key(Meter.Id id) {
		return id.getName() + id.getTags()
			.stream()
			.map((tag) -> tag.getKey() + "=" + tag.getValue())
			.collect(Collectors.joining(",", "{", "}"));
	}

	@Override
	protected <T> Gauge newGauge(Meter.Id id, T obj, ToDoubleFunction<T> valueFunction) {
		return new DefaultGauge<>(id, obj, valueFunction);
	}

	@Override
	protected Counter newCounter(Meter.Id id) {
		return new CumulativeCounter(id);
	}

	@Override
	protected Timer newTimer(Meter.Id id, DistributionStatisticConfig distributionStatisticConfig,
			PauseDetector pauseDetector) {
		return new CumulativeTimer(id, this.clock, distributionStatisticConfig, pauseDetector, getBaseTimeUnit());
	}

	@Override
	protected DistributionSummary newDistributionSummary(Meter.Id id,
			DistributionStatisticConfig distributionStatisticConfig, double scale) {
		return new CumulativeDistributionSummary(id, this.clock, distributionStatisticConfig, scale);
	}

	@Override
	protected Meter newMeter(Meter.Id id, Meter.Type type, Iterable<Measurement> measurements) {
		return new DefaultMeter(id, type, measurements);
	}

	@Override
	protected <T> FunctionTimer newFunctionTimer(Meter.Id id, T obj, ToLongFunction<T> countFunction,
			ToDoubleFunction<T> totalTimeFunction, TimeUnit totalTimeFunctionUnit) {
		return new CumulativeFunctionTimer<>(id, obj, countFunction, totalTimeFunction, totalTimeFunctionUnit,
				getBaseTimeUnit());
	}

	@Override
	protected <T> FunctionCounter newFunctionCounter(Meter.Id id, T obj, ToDoubleFunction<T> countFunction) {
		return new CumulativeFunctionCounter<>(id, obj, countFunction);
	}

	@Override
	protected TimeUnit getBaseTimeUnit() {
		return TimeUnit.SECONDS;
	}

	@Override
	protected DistributionStatisticConfig defaultHistogramConfig() {
		return DistributionStatisticConfig.DEFAULT;
	}

}
