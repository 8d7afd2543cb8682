package dev.paygate.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * PNG chart (Java2D, no extra dependency): the latency tail against offered rate, one colour per
 * path, p99 solid with filled points and p99.9 dashed with hollow ones, one panel per operation;
 * logarithmic latency axis.
 */
final class LatencyChart {

    private static final int PANEL_WIDTH = 620;
    private static final int HEIGHT = 460;
    private static final int LEFT = 70;
    private static final int RIGHT = 20;
    private static final int TOP = 50;
    private static final int BOTTOM = 120;
    private static final Color[] COLOURS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
            new Color(0xff7f0e), new Color(0x9467bd)};

    private static final double P99 = 0.99;
    private static final double P999 = 0.999;

    private LatencyChart() {
    }

    static void write(List<ScenarioResult> results, List<Operation> operations, String title, Path file)
            throws IOException {
        BufferedImage image = new BufferedImage(PANEL_WIDTH * operations.size(), HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, image.getWidth(), image.getHeight());
        for (int i = 0; i < operations.size(); i++) {
            panel(g, i * PANEL_WIDTH, results, operations.get(i), title);
        }
        g.dispose();
        ImageIO.write(image, "png", file.toFile());
    }

    private static void panel(Graphics2D g, int x0, List<ScenarioResult> results, Operation operation, String title) {
        List<ScenarioResult> open = results.stream()
                .filter(r -> r.scenario().operation() == operation && r.offeredRate() > 0).toList();
        int plotLeft = x0 + LEFT;
        int plotRight = x0 + PANEL_WIDTH - RIGHT;
        int plotTop = TOP;
        int plotBottom = HEIGHT - BOTTOM;
        int[] rates = open.stream().mapToInt(ScenarioResult::offeredRate).distinct().sorted().toArray();
        double maxMs = Math.max(1, open.stream().mapToDouble(r -> r.latency().millis(P999)).max().orElse(1));
        double minMs = Math.max(0.1, Math.min(1, open.stream().mapToDouble(r -> r.latency().millis(P99)).min().orElse(1)));
        double logMin = Math.floor(Math.log10(minMs));
        double logMax = Math.ceil(Math.log10(maxMs));
        if (logMax <= logMin) {
            logMax = logMin + 1;
        }
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(title + ": " + operation.key, plotLeft, 25);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.drawRect(plotLeft, plotTop, plotRight - plotLeft, plotBottom - plotTop);
        // Latency axis: one gridline per power of ten, labelled in ms.
        for (double decade = logMin; decade <= logMax; decade++) {
            int y = yFor(Math.pow(10, decade), logMin, logMax, plotTop, plotBottom);
            g.setColor(new Color(0xdddddd));
            g.drawLine(plotLeft, y, plotRight, y);
            g.setColor(Color.BLACK);
            g.drawString(format(Math.pow(10, decade)), plotLeft - 45, y + 4);
        }
        drawRotated(g, "latency (ms, log scale)", x0 + 15, (plotTop + plotBottom) / 2);
        // Rate axis: the offered rates, evenly spaced.
        for (int i = 0; i < rates.length; i++) {
            int x = xFor(i, rates.length, plotLeft, plotRight);
            g.drawLine(x, plotBottom, x, plotBottom + 5);
            g.drawString(rates[i] + "/s", x - 15, plotBottom + 20);
        }
        g.drawString("offered rate (open loop, requests per second)", plotLeft + 120, plotBottom + 40);
        Target[] targets = Target.values();
        for (int t = 0; t < targets.length; t++) {
            Target target = targets[t];
            g.setColor(COLOURS[t % COLOURS.length]);
            for (double fraction : new double[] {P99, P999}) {
                g.setStroke(fraction == P99 ? new BasicStroke(2f)
                        : new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
                int lastX = -1;
                int lastY = -1;
                for (int i = 0; i < rates.length; i++) {
                    int rate = rates[i];
                    var point = open.stream().filter(r -> r.scenario().target() == target && r.offeredRate() == rate)
                            .findFirst();
                    if (point.isEmpty()) {
                        continue;
                    }
                    int x = xFor(i, rates.length, plotLeft, plotRight);
                    int y = yFor(point.get().latency().millis(fraction), logMin, logMax, plotTop, plotBottom);
                    if (fraction == P99) {
                        g.fillOval(x - 3, y - 3, 6, 6);
                    } else {
                        g.drawOval(x - 4, y - 4, 8, 8);
                    }
                    if (lastX >= 0) {
                        g.drawLine(lastX, lastY, x, y);
                    }
                    lastX = x;
                    lastY = y;
                }
            }
            // Legend under the axis, two columns.
            int lx = plotLeft + (t % 3) * 180;
            int ly = plotBottom + 62 + (t / 3) * 18;
            g.setStroke(new BasicStroke(2f));
            g.drawLine(lx, ly - 4, lx + 20, ly - 4);
            g.setColor(Color.BLACK);
            g.drawString(target.key, lx + 25, ly);
        }
        g.setColor(Color.BLACK);
        g.drawString("solid, filled: p99   dashed, hollow: p99.9", plotLeft, plotBottom + 104);
        g.setStroke(new BasicStroke(1f));
    }

    private static int xFor(int index, int count, int left, int right) {
        return count <= 1 ? (left + right) / 2 : left + 30 + index * (right - left - 60) / (count - 1);
    }

    private static int yFor(double ms, double logMin, double logMax, int top, int bottom) {
        double clamped = Math.max(Math.log10(Math.max(ms, 1e-3)), logMin);
        return (int) Math.round(bottom - (clamped - logMin) / (logMax - logMin) * (bottom - top));
    }

    private static String format(double ms) {
        return ms >= 1 ? String.format(Locale.ROOT, "%.0f", ms) : String.format(Locale.ROOT, "%.1f", ms);
    }

    private static void drawRotated(Graphics2D g, String text, int x, int y) {
        var saved = g.getTransform();
        g.rotate(-Math.PI / 2, x, y);
        g.drawString(text, x - 60, y);
        g.setTransform(saved);
    }
}
