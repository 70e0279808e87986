import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

// mongo-java-server's own InMemoryMongoServer binds localhost:27017, which can clash with
// another test run; this binds 127.0.0.1 on a port the kernel picks (port 0) and writes that
// port to PORT_FILE (through a rename, so a reader never sees half a number).
// Usage: java -cp CLASSPATH DecantMongoJavaServer PORT_FILE
public final class DecantMongoJavaServer {
  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: DecantMongoJavaServer PORT_FILE");
      System.exit(2);
    }
    MongoServer server = new MongoServer(new MemoryBackend());
    server.bind(new InetSocketAddress("127.0.0.1", 0));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.shutdownNow();
      stopped.countDown();
    }));
    Path file = Path.of(args[0]);
    Path tmp = Path.of(args[0] + ".tmp");
    Files.writeString(tmp, Integer.toString(server.getLocalAddress().getPort()) + "\n");
    Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    stopped.await();
  }
}
