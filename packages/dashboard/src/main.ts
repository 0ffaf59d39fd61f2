/** The dashboard's entry: styles, then the app in #app. */
import "uplot/dist/uPlot.min.css";
import "./styles.css";
import { App } from "./app.ts";

const root = document.getElementById("app");
if (root) new App(root).start();
