import { mountApp } from "./app.js";
import { readConfig } from "./config.js";
import "./styles.css";

const root = document.getElementById("app");
if (root) mountApp(root, readConfig(location, localStorage), localStorage);
