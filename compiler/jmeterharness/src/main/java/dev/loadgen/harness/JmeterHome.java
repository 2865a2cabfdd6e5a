package dev.loadgen.harness;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collections;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A temporary JMETER_HOME laid out like a stock install, as jmeter-java-dsl's
 * {@code JmeterEnvironment} prepares one: {@code bin/} (jmeter.properties,
 * saveservice.properties, reportgenerator.properties, log4j2.xml,
 * report-template/, ...) is copied from the ApacheJMeter_config jar (with a
 * log4j2.xml that leaves out the GUI's log panel), and empty
 * {@code lib/}, {@code lib/ext/} and {@code lib/junit/} exist so JMeter's
 * launcher finds what it scans. JMeter's own classes stay on the class path,
 * where JMeter finds functions and other plugins through
 * {@code META-INF/services}.
 *
 * <p>{@link #create} must run before any JMeter class logs: it points log4j at
 * {@code bin/log4j2.xml} and the log file, as {@code NewDriver} does for the
 * {@code jmeter} script. The directory is deleted when the JVM exits.
 */
final class JmeterHome {

  private final Path dir;

  private JmeterHome(Path dir) {
    this.dir = dir;
  }

  /** The home directory. */
  Path dir() {
    return dir;
  }

  /** bin/jmeter.properties. */
  Path properties() {
    return dir.resolve("bin").resolve("jmeter.properties");
  }

  /**
   * Creates the home and sets the system properties JMeter's launcher would:
   * jmeter.home, jmeter.logfile, log4j.configurationFile, java.awt.headless.
   *
   * @param logFile where JMeter's log (jmeter.log) goes
   */
  static JmeterHome create(Path logFile) throws IOException {
    Path dir = Files.createTempDirectory("loadgen-jmeter-home");
    Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir), "jmeter-home-cleanup"));
    copyBin(dir.resolve("bin"));
    try (InputStream log4j = JmeterHome.class.getResourceAsStream("log4j2.xml")) {
      Files.copy(log4j, dir.resolve("bin/log4j2.xml"), StandardCopyOption.REPLACE_EXISTING);
    }
    for (String lib : new String[] {"lib", "lib/ext", "lib/junit"}) {
      Files.createDirectories(dir.resolve(lib));
    }
    if (logFile.getParent() != null) {
      Files.createDirectories(logFile.getParent());
    }
    System.setProperty("jmeter.home", dir.toString());
    System.setProperty("jmeter.logfile", logFile.toString());
    System.setProperty("log4j.configurationFile", dir.resolve("bin/log4j2.xml").toString());
    System.setProperty("java.awt.headless", "true");
    return new JmeterHome(dir);
  }

  /** Copies bin/ of the ApacheJMeter_config jar to target. */
  private static void copyBin(Path target) throws IOException {
    URL props = JmeterHome.class.getResource("/bin/jmeter.properties");
    if (props == null) {
      throw new IOException("bin/jmeter.properties not on the class path: is ApacheJMeter_config missing?");
    }
    URI uri;
    try {
      uri = props.toURI();
    } catch (URISyntaxException e) {
      throw new IOException(e);
    }
    if (!"jar".equals(uri.getScheme())) {
      copyTree(Path.of(uri).getParent(), target);
      return;
    }
    try (FileSystem jar = FileSystems.newFileSystem(uri, Collections.emptyMap())) {
      copyTree(jar.getPath("/bin"), target);
    }
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> paths = Files.walk(from)) {
      paths.forEach(p -> {
        Path dst = to.resolve(from.relativize(p).toString());
        try {
          if (Files.isDirectory(p)) {
            Files.createDirectories(dst);
          } else {
            Files.copy(p, dst);
          }
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // best effort: a temporary directory
    }
  }
}
