package dev.loadgen.harness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.jmeter.JMeter;
import org.apache.jmeter.save.SaveService;
import org.apache.jmeter.testelement.TestElement;
import org.apache.jmeter.util.JMeterUtils;
import org.apache.jorphan.collections.HashTree;

/**
 * Command line of the JMeter interop harness. Every JMeter action goes
 * through JMeter's own entry point, {@code org.apache.jmeter.JMeter#start},
 * with the arguments the {@code jmeter} script would get, in a temporary
 * JMETER_HOME (see {@link JmeterHome}).
 *
 * <pre>
 * run PLAN.jmx --jtl OUT.jtl [--log FILE] [-Jname=value ...]
 *     jmeter -n -t PLAN.jmx -l OUT.jtl: the JTL gets jmeter.properties'
 *     defaults (17-column CSV, start timestamps)
 * report RESULTS.jtl --out DIR [--log FILE] [-Jname=value ...]
 *     jmeter -g RESULTS.jtl -o DIR: the HTML dashboard and statistics.json
 * load PLAN.jmx [--log FILE]
 *     loads the plan as JMeter does before a run and prints its tree
 * version [--log FILE]
 *     prints JMeter's version
 * </pre>
 *
 * <p>JMeter's log goes to --log FILE, or to a temporary file.
 *
 * <p>Exit status: 0 success; 1 JMeter failed (a plan that does not load, a
 * report that cannot be generated); 2 usage; 3 JMeter logged errors or left
 * no output. ERROR lines of JMeter's log are copied to stderr.
 */
public final class Main {

  static final int OK = 0;
  static final int FAILED = 1;
  static final int USAGE = 2;
  static final int LOGGED_ERRORS = 3;

  private static final String USAGE_TEXT = String.join("\n",
      "usage: dev.loadgen.harness.Main COMMAND ...",
      "  run PLAN.jmx --jtl OUT.jtl [--log FILE] [-Jname=value ...]",
      "  report RESULTS.jtl --out DIR [--log FILE] [-Jname=value ...]",
      "  load PLAN.jmx [--log FILE]",
      "  version [--log FILE]");

  /** A log4j line of level ERROR or FATAL in JMeter's pattern "%d %p %c{1.}: %m%n". */
  private static final Pattern LOG_ERROR =
      Pattern.compile("^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d,\\d{3} (ERROR|FATAL) .*");
  private static final Pattern LOG_LINE = Pattern.compile("^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d,\\d{3} .*");

  private Main() {
  }

  public static void main(String[] args) {
    int code;
    try {
      code = dispatch(args);
    } catch (UsageException e) {
      System.err.println("jmeter-harness: " + e.getMessage());
      System.err.println(USAGE_TEXT);
      code = USAGE;
    } catch (Throwable e) {
      System.err.println("jmeter-harness: " + e);
      e.printStackTrace();
      code = FAILED;
    }
    System.out.flush();
    // JMeter may leave non-daemon threads (HTTP connection pools, timers):
    // end the JVM explicitly with the outcome.
    System.exit(code);
  }

  private static int dispatch(String[] args) throws Exception {
    if (args.length == 0) {
      throw new UsageException("missing command");
    }
    Args a = new Args(Arrays.asList(args).subList(1, args.length));
    switch (args[0]) {
      case "run":
        return run(a);
      case "report":
        return report(a);
      case "load":
        return load(a);
      case "version":
        return version(a);
      default:
        throw new UsageException("unknown command " + args[0]);
    }
  }

  /**
   * Loads and runs the Groovy compiler once before the test starts. Its cold start (class loading, JIT) takes
   * seconds on a busy machine; inside the test it would delay the first JSR223 element so much that short,
   * time-bounded plans end before their first iteration does. What the test measures is then the plan, not the
   * compiler's start-up. Problems surface in the test itself, so failures here are ignored.
   */
  private static void warmGroovy() {
    try {
      javax.script.ScriptEngine engine = new javax.script.ScriptEngineManager().getEngineByName("groovy");
      if (engine instanceof javax.script.Compilable) {
        ((javax.script.Compilable) engine)
            .compile("@groovy.transform.CompileStatic\nstatic long f(Object x) { x instanceof Long ? ((Long) x) + 1L : 0L }\nf(1L)")
            .eval();
      }
    } catch (Exception | LinkageError e) {
      // see above
    }
  }

  /** jmeter -n -t PLAN -l JTL. */
  private static int run(Args a) throws Exception {
    Path plan = a.file("plan");
    Path jtl = a.required("--jtl");
    a.done();
    if (Files.exists(jtl)) {
      throw new UsageException(jtl + " exists: JMeter would append to it without a header");
    }
    JmeterHome home = JmeterHome.create(a.log());
    warmGroovy();
    List<String> jm = new ArrayList<>(List.of("-n", "-t", plan.toString(), "-l", jtl.toString()));
    // No UDP shutdown listener (ports 4445-4455): runs in parallel would
    // compete for them, and the harness is stopped by killing it.
    jm.add("-Jjmeterengine.nongui.port=0");
    int code = jmeter(home, jm, a, true);
    if (code != OK) {
      return code;
    }
    if (!Files.isRegularFile(jtl)) {
      System.err.println("jmeter-harness: JMeter wrote no " + jtl);
      return LOGGED_ERRORS;
    }
    return OK;
  }

  /** jmeter -g JTL -o DIR. */
  private static int report(Args a) throws Exception {
    Path jtl = a.file("results file");
    Path out = a.required("--out");
    a.done();
    JmeterHome home = JmeterHome.create(a.log());
    // The generator's scratch folder defaults to "temp" in the working
    // directory, which concurrent reports would share.
    String temp = "-Jjmeter.reportgenerator.temp_dir=" + home.dir().resolve("report-temp");
    int code = jmeter(home, new ArrayList<>(List.of("-g", jtl.toString(), "-o", out.toString(), temp)), a, false);
    if (code != OK) {
      return code;
    }
    for (String f : new String[] {"statistics.json", "index.html"}) {
      if (!Files.isRegularFile(out.resolve(f))) {
        System.err.println("jmeter-harness: JMeter wrote no " + out.resolve(f));
        return LOGGED_ERRORS;
      }
    }
    return OK;
  }

  /**
   * Runs JMeter#start (the jmeter script's entry point) with args plus the home, property file, log file and -J
   * options, waits for the test it started (when test is set) to end, and
   * reports the log's errors. JMeter itself exits with status 1 when the plan
   * does not load or the report fails.
   */
  private static int jmeter(JmeterHome home, List<String> args, Args a, boolean test) throws Exception {
    args.addAll(List.of("-d", home.dir().toString(), "-p", home.properties().toString(),
        "-j", a.log().toString()));
    args.addAll(a.jmeterProps);
    Set<Thread> before = nonDaemonThreads();
    new JMeter().start(args.toArray(new String[0]));
    // In non-GUI mode start() returns once the engine's thread
    // (StandardJMeterEngine-N) runs the test; the thread ends after the test
    // listeners, the JTL writer among them, have finished.
    for (Thread t : nonDaemonThreads()) {
      if (!before.contains(t) && t.getName().startsWith("StandardJMeterEngine")) {
        t.join();
      }
    }
    int errors = logErrors(a.log());
    if (test && !logContains(a.log(), "StandardJMeterEngine: Running the test!")) {
      System.err.println("jmeter-harness: JMeter started no test (see its output above)");
      return FAILED;
    }
    return errors > 0 ? LOGGED_ERRORS : OK;
  }

  private static Set<Thread> nonDaemonThreads() {
    Set<Thread> out = new HashSet<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (!t.isDaemon() && t != Thread.currentThread()) {
        out.add(t);
      }
    }
    return out;
  }

  private static boolean logContains(Path log, String text) throws IOException {
    return Files.isRegularFile(log) && Files.readString(log, StandardCharsets.UTF_8).contains(text);
  }

  /** Copies ERROR and FATAL entries of JMeter's log to stderr; returns their count. */
  private static int logErrors(Path log) throws IOException {
    if (!Files.isRegularFile(log)) {
      return 0;
    }
    int errors = 0;
    boolean inError = false;
    for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
      if (LOG_LINE.matcher(line).matches()) {
        inError = LOG_ERROR.matcher(line).matches();
        if (inError) {
          errors++;
          System.err.println("jmeter.log: " + line);
        }
      } else if (inError) {
        System.err.println("jmeter.log:   " + line); // stack trace of the entry
      }
    }
    return errors;
  }

  /** Loads a plan with SaveService, as JMeter does before a run, and prints its tree. */
  private static int load(Args a) throws Exception {
    Path plan = a.file("plan");
    a.done();
    a.noProperties();
    JmeterHome home = JmeterHome.create(a.log());
    JMeterUtils.loadJMeterProperties(home.properties().toString());
    JMeterUtils.setJMeterHome(home.dir().toString());
    JMeterUtils.initLocale();
    HashTree tree;
    try {
      tree = SaveService.loadTree(plan.toFile());
    } catch (Exception e) {
      System.err.println("jmeter-harness: " + plan + " does not load: " + e);
      logErrors(a.log());
      return FAILED;
    }
    printTree(tree, "");
    return logErrors(a.log()) > 0 ? LOGGED_ERRORS : OK;
  }

  private static void printTree(HashTree tree, String indent) {
    for (Object o : tree.list()) {
      String name = o instanceof TestElement ? ((TestElement) o).getName() : String.valueOf(o);
      System.out.println(indent + o.getClass().getName() + " \"" + name + "\"");
      printTree(tree.getTree(o), indent + "  ");
    }
  }

  private static int version(Args a) throws Exception {
    a.done();
    a.noProperties();
    JmeterHome.create(a.log());
    System.out.println(JMeterUtils.getJMeterVersion());
    return OK;
  }

  /** Command arguments: positionals, --name value options and -J properties. */
  private static final class Args {
    final List<String> positional = new ArrayList<>();
    final List<String> options = new ArrayList<>(); // name, value, name, value, ...
    final List<String> jmeterProps = new ArrayList<>();
    private Path log;

    Args(List<String> args) throws UsageException {
      for (int i = 0; i < args.size(); i++) {
        String s = args.get(i);
        if (s.startsWith("-J") && s.indexOf('=') > 2) {
          jmeterProps.add(s);
        } else if (s.startsWith("--")) {
          if (i + 1 == args.size()) {
            throw new UsageException(s + " needs a value");
          }
          options.add(s);
          options.add(args.get(++i));
        } else if (s.startsWith("-")) {
          throw new UsageException("unknown option " + s);
        } else {
          positional.add(s);
        }
      }
    }

    /** The next positional argument, an existing file. */
    Path file(String what) throws UsageException {
      if (positional.isEmpty()) {
        throw new UsageException("missing " + what);
      }
      Path p = Path.of(positional.remove(0)).toAbsolutePath();
      if (!Files.isRegularFile(p)) {
        throw new UsageException(what + " " + p + " is not a file");
      }
      return p;
    }

    /** The value of a required option, as an absolute path. */
    Path required(String name) throws UsageException {
      Path p = optional(name);
      if (p == null) {
        throw new UsageException("missing " + name);
      }
      return p;
    }

    private Path optional(String name) {
      for (int i = 0; i < options.size(); i += 2) {
        if (options.get(i).equals(name)) {
          Path p = Path.of(options.get(i + 1)).toAbsolutePath();
          options.subList(i, i + 2).clear();
          return p;
        }
      }
      return null;
    }

    /** Checks that every argument was used (--log is always accepted). */
    void done() throws UsageException {
      log();
      if (!positional.isEmpty()) {
        throw new UsageException("unexpected argument " + positional.get(0));
      }
      if (!options.isEmpty()) {
        throw new UsageException("unknown option " + options.get(0));
      }
    }

    /** Rejects -J options, for commands that run no JMeter. */
    void noProperties() throws UsageException {
      if (!jmeterProps.isEmpty()) {
        throw new UsageException("unexpected " + jmeterProps.get(0));
      }
    }

    /** --log FILE, or a temporary file deleted at exit. */
    Path log() throws UsageException {
      if (log == null) {
        log = optional("--log");
        if (log == null) {
          try {
            log = Files.createTempFile("jmeter", ".log");
          } catch (IOException e) {
            throw new UsageException("cannot create a log file: " + e.getMessage());
          }
          log.toFile().deleteOnExit();
        }
      }
      return log;
    }
  }

  /** A command line error. */
  private static final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }
}
