/** The dashboard's entry: styles, then the app in #app. */
import "uplot/dist/uPlot.min.css";
// The replayer's cursor and click styles (2 KB): in the one sheet, as a chunk's own CSS would
// need a loader of its own; its code stays in the player chunk.
import "@rrweb/replay/dist/style.css";
import "./styles.css";
import { App } from "./app.ts";

const root = document.getElementById("app");
if (root) new App(root).start();
